using System;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Xunit;

namespace XenstoreInterop.Tests;

/// <summary>The checked-in Generated/xenstore.g.cs against the installed library.</summary>
public sealed class GeneratedBindingsTests
{
    private static readonly Type Bindings = typeof(Xenstore).Assembly.GetType("XenstoreInterop.LibXenstore", throwOnError: true)!;

    [Fact]
    public void EveryImport_IsExportedByLibxenstore()
    {
        var imports = Bindings.GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null)
            .Select(m => m.Name)
            .ToList();
        var library = NativeLibrary.Load("libxenstore.so.4");
        try
        {
            var missing = imports.Where(name => !NativeLibrary.TryGetExport(library, name, out _)).ToList();
            Assert.NotEmpty(imports);
            Assert.Empty(missing);
        }
        finally
        {
            NativeLibrary.Free(library);
        }
    }

    [Fact]
    public void Layouts_MatchTheCHeaders()
    {
        // struct xs_permissions { unsigned int id; unsigned int perms; };
        Assert.Equal(8, Unsafe.SizeOf<xs_permissions>());
        Assert.Equal(4, (int)Marshal.OffsetOf<xs_permissions>(nameof(xs_permissions.perms)));
        // struct pollfd { int fd; short events; short revents; };
        Assert.Equal(8, Unsafe.SizeOf<LibC.pollfd>());
        Assert.Equal(6, (int)Marshal.OffsetOf<LibC.pollfd>(nameof(LibC.pollfd.revents)));
    }
}
