using System;
using BlockDiskseq.Native;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// remove's device-mapper control, opened on first use only: every open probes the ABI, which on a kernel
/// without the diskseq series logs a line in the kernel log, so plain disks never pay for it. Null where the
/// host has no device-mapper: then no dm device of ours can exist.
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
                control = TryOpen();
            }
            return control;
        }
    }

    /// <summary>
    /// No node (ENOENT), or a node with no driver behind it (ENODEV, ENXIO: a static node from kmod or
    /// tmpfiles on a kernel without dm-mod, whose open fails to load it) both mean: no device-mapper here.
    /// </summary>
    private static DmControl? TryOpen()
    {
        try
        {
            return DmControl.Open();
        }
        catch (Exception e) when ((e as NativeException ?? e.InnerException as NativeException)?.Errno
                                  is LibC.ENOENT or LibC.ENODEV or LibC.ENXIO)
        {
            Log.Step($"no device-mapper on this host ({e.Message})");
            return null;
        }
    }

    public void Dispose() => control?.Dispose();
}
