// The product and its tests are Linux-only (loop devices, Xen dom0).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
