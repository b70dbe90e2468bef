using System;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Backend;

/// <summary>
/// Another add of the same backend exported its device after this add first looked: physical-device appeared
/// inside our transaction, or blkback's opened node was already 1 when read. libxl runs one add per backend,
/// but a person may run one by hand beside it. Nothing of ours is exported when this is thrown (it comes
/// before our commit, or instead of it), so Add.Run judges the backend afresh, as for a backend already added,
/// rather than mark a working disk failed (found by tests/Reliability's two-adds race, docs/reliability.md).
/// </summary>
internal sealed class AddedMeanwhile(string message) : Exception(message)
{
    internal static AddedMeanwhile PhysicalDevice(BackendPath be, string written)
        => new($"physical-device became {Printable.Quote(written)} while adding: another add ran for {be.Path}");
}
