// The fuzz targets drive Linux kernel interfaces, partly through the test fixtures (the program is Linux-only too).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
