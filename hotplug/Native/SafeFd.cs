using System;
using System.Runtime.InteropServices;

namespace BlockDiskseq.Native;

/// <summary>
/// An owned file descriptor. -1 is the only invalid value: fd 0 is a real descriptor.
/// Imports that create descriptors return this type, so no bare int is ever unowned.
/// </summary>
internal sealed partial class SafeFd : SafeHandle
{
    public SafeFd() : base(invalidHandleValue: -1, ownsHandle: true) { }

    // open() returns a C int: the marshaller widens eax into the handle with the upper half zeroed,
    // so -1 arrives as 0xFFFFFFFF. Compare as int.
    public override bool IsInvalid => (int)handle == -1;

    /// <summary>The raw descriptor, for ioctl/fstat calls made while this handle is alive.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => close((int)handle) == 0;

    [LibraryImport(LibraryNames.LibC)]
    private static partial int close(int fd);
}
