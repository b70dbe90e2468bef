using System;

namespace TestXenstored;

/// <summary>A request the server refuses: the handler answers it with XS_ERROR and the errno name.</summary>
internal sealed class XsdException : Exception
{
    public XsdErrno Errno { get; }

    public XsdException(XsdErrno errno, string? detail = null)
        : base(detail is null ? errno.ToString() : $"{detail}: {errno}")
    {
        Errno = errno;
    }
}
