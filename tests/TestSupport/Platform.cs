// The fixtures drive Linux kernel interfaces only (the program is Linux-only too).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
