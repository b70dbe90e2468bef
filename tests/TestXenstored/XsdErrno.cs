namespace TestXenstored;

/// <summary>
/// The error names an XS_ERROR reply may carry, in xsd_errors[] order (xs_wire.h). The reply payload is
/// the name itself, NUL-terminated; libxenstore maps it back to errno by name.
/// </summary>
internal enum XsdErrno
{
    EINVAL,
    EACCES,
    EEXIST,
    EISDIR,
    ENOENT,
    ENOMEM,
    ENOSPC,
    EIO,
    ENOTEMPTY,
    ENOSYS,
    EROFS,
    EBUSY,
    EAGAIN,
    EISCONN,
    E2BIG,
    EPERM,
}
