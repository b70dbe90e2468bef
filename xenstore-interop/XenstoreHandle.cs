using System;
using System.Runtime.InteropServices;

namespace XenstoreInterop;

/// <summary>Owns a <c>struct xs_handle*</c> from xs_open; xs_close also stops libxenstore's watch thread.</summary>
internal sealed unsafe class XenstoreHandle : SafeHandle
{
    public XenstoreHandle(xs_handle* handle) : base(IntPtr.Zero, ownsHandle: true) => SetHandle((nint)handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibXenstore.xs_close((xs_handle*)handle);
        return true;
    }
}
