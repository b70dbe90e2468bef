using System;
using System.IO;
using BlockDiskseq.DeviceMapper;

namespace BlockDiskseq.Flow;

/// <summary>
/// remove's device-mapper control, opened on first use only: every open probes the ABI, which on a kernel
/// without the diskseq series logs a line in the kernel log, so plain disks never pay for it. Null where the
/// host has no device-mapper at all: then no dm device of ours can exist.
/// </summary>
internal sealed class DeviceMapperSession : IDisposable
{
    private DmControl? control;
    private bool opened;

    public DmControl? Control
    {
        get
        {
            if (!opened)
            {
                opened = true;
                control = File.Exists(DmControl.ControlPath) ? DmControl.Open() : null;
            }
            return control;
        }
    }

    public void Dispose() => control?.Dispose();
}
