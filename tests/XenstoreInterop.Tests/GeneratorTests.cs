using System;
using System.Linq;
using XenstoreGen;
using Xunit;

namespace XenstoreInterop.Tests;

/// <summary>XenstoreGen on small hand-made AST dumps shaped like clang 14's.</summary>
public sealed class GeneratorTests
{
    private const string Header = "/usr/include/xenstore.h";
    private const string SystemHeader = "/usr/include/stdint.h";

    private static readonly GeneratorOptions Options = new(
        Headers: ["xenstore.h", "xenstore_lib.h"], MacroPrefixes: ["XS_", "XBT_"], LibraryName: "libxenstore.so.4",
        Namespace: "Test", ClassName: "LibXenstore", Banner: ["banner line"]);

    // clang prints "file" only when it changes: a null file leaves it out.
    private static string Loc(string? file) => file is null ? """{"offset":1}""" : $$"""{"offset":1,"file":"{{file}}"}""";

    private static string Type(string qualType, string? desugared = null)
        => desugared is null ? $$"""{"qualType":"{{qualType}}"}""" : $$"""{"desugaredQualType":"{{desugared}}","qualType":"{{qualType}}"}""";

    private static string Param(string type, string? name = null)
        => $$"""{"kind":"ParmVarDecl","loc":{{Loc(null)}},{{(name is null ? "" : $"\"name\":\"{name}\",")}}"type":{{Type(type)}}}""";

    private static string Function(string? file, string name, string type, params string[] parameters)
        => $$"""{"kind":"FunctionDecl","loc":{{Loc(file)}},"name":"{{name}}","type":{{Type(type)}},"inner":[{{string.Join(",", parameters)}}]}""";

    private static string Typedef(string? file, string name, string type, string? desugared = null)
        => $$"""{"kind":"TypedefDecl","loc":{{Loc(file)}},"name":"{{name}}","type":{{Type(type, desugared)}}}""";

    private static string Struct(string? file, string name, params (string Type, string Name)[]? fields)
        => fields is null
            ? $$"""{"kind":"RecordDecl","loc":{{Loc(file)}},"name":"{{name}}","tagUsed":"struct"}"""
            : $$"""{"kind":"RecordDecl","loc":{{Loc(file)}},"name":"{{name}}","tagUsed":"struct","completeDefinition":true,"inner":[{{string.Join(",", fields.Select(f => $$"""{"kind":"FieldDecl","name":"{{f.Name}}","type":{{Type(f.Type)}}}"""))}}]}""";

    private static string Enum(string? file, string name, params (string Name, int? Value)[] constants)
        => $$"""{"kind":"EnumDecl","loc":{{Loc(file)}},"name":"{{name}}","inner":[{{string.Join(",", constants.Select(c => $$"""{"kind":"EnumConstantDecl","name":"{{c.Name}}","type":{"qualType":"int"}{{(c.Value is { } v ? $$""","inner":[{"kind":"ConstantExpr","value":"{{v}}"}]""" : "")}}}"""))}}]}""";

    private static string Generate(string macros, params string[] declarations)
        => Generator.Generate($$"""{"kind":"TranslationUnitDecl","inner":[{{string.Join(",", declarations)}}]}""", macros, Options);

    private static string GenerateFunction(string name, string type, params string[] parameters)
        => Generate("", Struct(Header, "xs_handle", null),
                    Typedef(SystemHeader, "uint32_t", "__uint32_t", "unsigned int"),
                    Typedef(Header, "xs_transaction_t", "uint32_t", "unsigned int"),
                    Function(null, name, type, parameters));

    [Fact]
    public void Function_PointersAndTypedefs_MapToBlittableTypes()
    {
        string output = GenerateFunction("xs_directory", "char **(struct xs_handle *, xs_transaction_t, const char *, unsigned int *)",
            Param("struct xs_handle *", "h"), Param("xs_transaction_t", "t"), Param("const char *", "path"), Param("unsigned int *", "num"));

        Assert.Contains("""
                [LibraryImport(LibraryName, SetLastError = true)]
                internal static partial byte** xs_directory(xs_handle* h, uint t, byte* path, uint* num);
            """, output);
    }

    [Fact]
    public void Function_LongAndVoidPointer_MapToNativeSizedIntegers()
    {
        string output = GenerateFunction("xs_f", "void *(unsigned long, long, const void *)",
            Param("unsigned long", "flags"), Param("long", "offset"), Param("const void *", "data"));

        Assert.Contains("internal static partial void* xs_f(nuint flags, nint offset, void* data);", output);
    }

    [Fact]
    public void Function_CBool_IsMarshalledAsOneByte()
    {
        string output = GenerateFunction("xs_transaction_end", "_Bool (struct xs_handle *, xs_transaction_t, _Bool)",
            Param("struct xs_handle *", "h"), Param("xs_transaction_t", "t"), Param("_Bool", "abort"));

        Assert.Contains("""
                [return: MarshalAs(UnmanagedType.U1)]
                internal static partial bool xs_transaction_end(xs_handle* h, uint t, [MarshalAs(UnmanagedType.U1)] bool abort);
            """, output);
    }

    [Fact]
    public void Function_TypedefReturnAndUnnamedKeywordParameters()
    {
        string output = GenerateFunction("xs_g", "xs_transaction_t (struct xs_handle *, int)",
            Param("struct xs_handle *"), Param("int", "string"));

        Assert.Contains("internal static partial uint xs_g(xs_handle* param0, int @string);", output);
    }

    [Fact]
    public void IncompleteStruct_IsAnOpaquePartialStructDeclaredOnce()
    {
        string output = Generate("", Struct(Header, "xs_handle", null), Struct(null, "xs_handle", null));

        Assert.Single(output.Split("partial struct xs_handle").Skip(1));
        Assert.Contains("internal partial struct xs_handle\n{\n}\n", output);
    }

    [Fact]
    public void CompleteStruct_IsSequentialWithCFieldNames()
    {
        string output = Generate("", Struct(Header, "xs_permissions", null),
                                 Struct(null, "xs_permissions", ("unsigned int", "id"), ("unsigned int", "perms")));

        Assert.Contains("""
            [StructLayout(LayoutKind.Sequential)]
            internal partial struct xs_permissions
            {
                public uint id;
                public uint perms;
            }
            """.ReplaceLineEndings("\n"), output);
        Assert.DoesNotContain("partial struct xs_permissions\n{\n}", output);
    }

    [Fact]
    public void StructWithArrayAndPointer_IsUnsafeWithFixedBuffer()
    {
        string output = Generate("", Struct(Header, "ring", ("char[1024]", "req"), ("const char *", "name")));

        Assert.Contains("internal unsafe partial struct ring", output);
        Assert.Contains("public fixed byte req[1024];", output);
        Assert.Contains("public byte* name;", output);
    }

    [Fact]
    public void Enum_ExplicitAndFollowingValues()
    {
        string output = Generate("", Enum(Header, "xsd_sockmsg_type", ("XS_CONTROL", null), ("XS_DIRECTORY", null),
                                          ("XS_RESET_WATCHES", 21), ("XS_DIRECTORY_PART", null)));

        Assert.Contains("""
            internal enum xsd_sockmsg_type
            {
                XS_CONTROL = 0,
                XS_DIRECTORY = 1,
                XS_RESET_WATCHES = 21,
                XS_DIRECTORY_PART = 22,
            }
            """.ReplaceLineEndings("\n"), output);
    }

    [Fact]
    public void SystemHeaderDeclarations_AreLeftOut_FileCarriedAlong()
    {
        string output = Generate("",
            Function(SystemHeader, "sys_first", "int (void)"),
            Function(null, "sys_second", "int (void)"),                 // still stdint.h: no "file" printed
            Function(Header, "xs_first", "int (void)"),
            Function(null, "xs_second", "int (void)"),                  // still xenstore.h
            Function("/usr/include/xenstore_lib.h", "xs_lib", "int (void)"));

        Assert.DoesNotContain("sys_", output);
        Assert.Contains("int xs_first()", output);
        Assert.Contains("int xs_second()", output);
        Assert.Contains("int xs_lib()", output);
    }

    // A nested location (here a parameter's range spelled in stdbool.h) moves clang's "last file", and
    // includedFrom does not; the next declaration's file follows from the last one printed.
    [Fact]
    public void FileOfNestedLocations_IsFollowed()
    {
        string expandedFromMacro = $$$"""
            {"kind":"FunctionDecl","loc":{{{Loc(Header)}}},"name":"xs_bool","type":{"qualType":"_Bool (int)"},
             "range":{"begin":{"spellingLoc":{"file":"/usr/lib/clang/stdbool.h","includedFrom":{"file":"/usr/include/xenstore_lib.h"}},
                               "expansionLoc":{"file":"{{{Header}}}"}},"end":{"offset":9}},
             "inner":[{"kind":"ParmVarDecl","loc":{"file":"{{{SystemHeader}}}","includedFrom":{"file":"{{{Header}}}"}},"name":"x","type":{"qualType":"int"}}]}
            """;

        string output = Generate("", expandedFromMacro, Function(null, "sys_after", "int (void)"));

        Assert.Contains("bool xs_bool(int x)", output);
        Assert.DoesNotContain("sys_after", output);
    }

    [Fact]
    public void Macros_BecomeTypedConsts()
    {
        const string macros = """
            #define XBT_NULL 0
            #define XS_OPEN_READONLY (1UL<<0)
            #define XS_OPEN_SOCKETONLY      (1UL<<1)
            #define XS_PERM_READ 0x01
            #define XS_WRITE_NONE "NONE"
            #define XS_DEBUG XS_CONTROL
            #define XS_FUNCTION(x) ((x) + 1)
            #define XS_ODD sizeof(int)
            #define OTHER_PREFIX 1
            """;

        string output = Generate(macros, Enum(Header, "xsd_sockmsg_type", ("XS_CONTROL", null)));

        Assert.Contains("    internal const int XBT_NULL = 0;\n", output);
        Assert.Contains("    internal const nuint XS_OPEN_READONLY = 1; // (1UL<<0)\n", output);
        Assert.Contains("    internal const nuint XS_OPEN_SOCKETONLY = 2; // (1UL<<1)\n", output);
        Assert.Contains("    internal const int XS_PERM_READ = 0x01;\n", output);
        Assert.Contains("    internal const string XS_WRITE_NONE = \"NONE\";\n", output);
        Assert.Contains("    internal const xsd_sockmsg_type XS_DEBUG = xsd_sockmsg_type.XS_CONTROL; // XS_CONTROL\n", output);
        Assert.Contains("    // not bound (not a literal): #define XS_ODD sizeof(int)\n", output);
        Assert.DoesNotContain("XS_FUNCTION", output);
        Assert.DoesNotContain("OTHER_PREFIX", output);
        Assert.True(output.IndexOf("XBT_NULL", StringComparison.Ordinal) < output.IndexOf("XS_DEBUG", StringComparison.Ordinal),
                    "macros are sorted by name");
    }

    [Fact]
    public void Output_StartsWithBannerAndNamespace()
    {
        Assert.StartsWith("// banner line\n\nusing System.Runtime.InteropServices;\n\nnamespace Test;\n", Generate(""));
    }

    [Fact]
    public void UnsupportedDeclarations_FailInsteadOfGuessing()
    {
        Assert.Throws<NotSupportedException>(() => Generate("",
            """{"kind":"FunctionDecl","loc":{"file":"/usr/include/xenstore.h"},"name":"xs_printf","variadic":true,"type":{"qualType":"int (const char *, ...)"}}"""));
        Assert.Throws<NotSupportedException>(() => GenerateFunction("xs_h", "int (__builtin_va_list)", Param("__builtin_va_list", "ap")));
    }

    [Theory]
    [InlineData("char **(struct xs_handle *, unsigned int *)", "char **")]
    [InlineData("_Bool (void)", "_Bool")]
    public void ReturnType_IsTheTextBeforeTheParameterList(string functionType, string returnType)
    {
        Assert.Equal(returnType, Generator.ReturnType(functionType));
    }
}
