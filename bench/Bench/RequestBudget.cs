using System.Text;

namespace BlockDiskseq.Bench;

/// <summary>
/// docs/benchmarks.md's "Xenstore requests" section: what one add and one remove ask xenstored, and why each
/// request stays (issue 16's target was 14 per add and 5 per remove without dropping a check that protects a
/// guest). The counts are pinned by tests/Hotplug.Tests/Integration/AddRemoveTests.cs.
/// </summary>
internal static class RequestBudget
{
    public static void Append(StringBuilder md)
    {
        md.AppendLine("## Xenstore requests: what is left and why");
        md.AppendLine();
        md.AppendLine("Issue 16 asked for at most 14 per add and 5 per remove without dropping a check that protects a guest.");
        md.AppendLine("A plain image, series blkback: 20 (22 when blkback answers after the watch's first event; mainline 18-20),");
        md.AppendLine("from 28 (26 mainline). Remove: 6 for a plain loop device, 5 for the other forms. Each request left:");
        md.AppendLine();
        md.AppendLine("| request | why it stays |");
        md.AppendLine("|---|---|");
        md.AppendLine("| list the backend directory | one request says whether `physical-device` (already added), `opened` (series or mainline) and a stale `hotplug-error` exist, so their absence costs nothing |");
        md.AppendLine("| read `type`, `frontend-id` | the backend is a `phy` vbd of the guest its path names; the sharing checks judge the VM by that guest |");
        md.AppendLine("| read `params`, `mode` | what to open, and how |");
        md.AppendLine("| read blkback's error node | a value there before our write is stale and must not fail the add (or be reported as blkback's reason) |");
        md.AppendLine("| read `opened` (series only) | must be `0` before our write; it picks the wait path |");
        md.AppendLine("| transaction start and end | diskseq, physical-device and the record appear together or not at all |");
        md.AppendLine("| read `state`, `physical-device` in it | the state == 2 re-check, and no other add exported meanwhile |");
        md.AppendLine("| write `diskseq`, `physical-device`, `hotplug-status` | what blkback and libxl read |");
        md.AppendLine("| write `physical-device-path`, `node` | libxl's local attach reads the path; Xen's block remove reads `node` (plain loop only) |");
        md.AppendLine("| write `block-diskseq/layers`, `block-diskseq/wait` | the record remove works from; how add waited (status, the lab) |");
        md.AppendLine("| one watch, then `opened` (or `state` while not held) | blkback holds the device before our fd goes |");
        md.AppendLine("| remove: read the record, delete `physical-device`, `diskseq`, `physical-device-path`, `node`, our directory | one request per node: xenstored deletes one path per request, and a transaction would add two |");
        md.AppendLine();
        md.AppendLine("Cut without dropping a check: the read of `physical-device` before add, the read of `opened` on mainline and the");
        md.AppendLine("unconditional delete of `hotplug-error` (the listing answers them); the read of `state` before add (the");
        md.AppendLine("transaction's re-check is the one that protects, and nothing is exported unless it passes); the watch on");
        md.AppendLine("blkback's error node and its first read (blkback's failures go through xenbus_dev_fatal, which switches to");
        md.AppendLine("Closing, and Closing makes the wait read the error node); the read of `state` once `opened` is 1; `node`'s delete");
        md.AppendLine("when add wrote none; and the sharing checks' read of every other backend (sysfs first: see the section above).");
        md.AppendLine("Below 14 would take dropping one of the rows above, or the wait itself.");
        md.AppendLine();
    }
}
