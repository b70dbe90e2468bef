namespace BlockDiskseq.TestSupport;

public enum BlkbackFlavour
{
    /// <summary>Blkback with the diskseq series (docs/protocol-facts.md §6): opened=0 at probe, 1 once it holds the device.</summary>
    Series,
    /// <summary>Mainline blkback: no opened node; the sysfs attribute physical_device appears once it holds the device.</summary>
    Mainline,
}
