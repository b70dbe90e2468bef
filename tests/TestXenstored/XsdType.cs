namespace TestXenstored;

/// <summary>
/// Wire message types, numbered as <c>enum xsd_sockmsg_type</c> in Xen 4.17's xs_wire.h
/// (XS_CONTROL = 0 ... XS_DIRECTORY_PART = 22; 20 was XS_RESTRICT and is gone).
/// </summary>
public enum XsdType : uint
{
    Control = 0,             // XS_CONTROL (formerly XS_DEBUG)
    Directory = 1,           // XS_DIRECTORY
    Read = 2,                // XS_READ
    GetPerms = 3,            // XS_GET_PERMS
    Watch = 4,               // XS_WATCH
    Unwatch = 5,             // XS_UNWATCH
    TransactionStart = 6,    // XS_TRANSACTION_START
    TransactionEnd = 7,      // XS_TRANSACTION_END
    Introduce = 8,           // XS_INTRODUCE
    Release = 9,             // XS_RELEASE
    GetDomainPath = 10,      // XS_GET_DOMAIN_PATH
    Write = 11,              // XS_WRITE
    Mkdir = 12,              // XS_MKDIR
    Rm = 13,                 // XS_RM
    SetPerms = 14,           // XS_SET_PERMS
    WatchEvent = 15,         // XS_WATCH_EVENT
    Error = 16,              // XS_ERROR
    IsDomainIntroduced = 17, // XS_IS_DOMAIN_INTRODUCED
    Resume = 18,             // XS_RESUME
    SetTarget = 19,          // XS_SET_TARGET
    ResetWatches = 21,       // XS_RESET_WATCHES
    DirectoryPart = 22,      // XS_DIRECTORY_PART
}
