// The benchmarks drive Linux kernel interfaces through the test fixtures (the program is Linux-only too).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
