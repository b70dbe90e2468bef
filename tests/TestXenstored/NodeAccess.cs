namespace TestXenstored;

/// <summary>The access letter of a permission entry (xs_lib.c xs_char_to_perm): n r w b.</summary>
internal enum NodeAccess
{
    None = 'n',
    Read = 'r',
    Write = 'w',
    Both = 'b',
}
