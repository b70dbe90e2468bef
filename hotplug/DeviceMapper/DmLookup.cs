using BlockDiskseq.Devices;

namespace BlockDiskseq.DeviceMapper;

/// <summary>
/// How an ioctl names an existing dm device: the kernel (__find_device_hash_cell) takes exactly one of
/// uuid, name or dev, in that order of precedence, and refuses a uuid together with a name.
/// Our uuids end in a random part, so a lookup by uuid can only ever find the device we created.
/// </summary>
internal readonly record struct DmLookup
{
    public string? Name { get; private init; }
    public string? Uuid { get; private init; }
    public DeviceNumber? Device { get; private init; }

    internal static DmLookup ByName(string name) => new() { Name = DmIdentifiers.CheckName(name) };

    internal static DmLookup ByUuid(string uuid) => new() { Uuid = DmIdentifiers.CheckUuid(uuid) };

    internal static DmLookup ByDevice(DeviceNumber device) => new() { Device = HugeDev.Check(device) };

    /// <summary>The object part of error messages: "dm device NAME", "dm device uuid UUID", "dm device 253:3".</summary>
    public override string ToString()
        => Uuid is not null ? $"dm device uuid {Uuid}"
         : Name is not null ? $"dm device {Name}"
         : $"dm device {Device!.Value.Major}:{Device.Value.Minor}";
}
