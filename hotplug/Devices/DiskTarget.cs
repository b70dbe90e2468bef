using System.Text;
using BlockDiskseq.Reporting;

namespace BlockDiskseq.Devices;

/// <summary>
/// The backend's <c>params</c> as a path to open: an absolute path (a file, a block device node, or a
/// symlink such as /dev/vg/lv or /dev/disk/by-id/..., followed when opened), or a bare device name that
/// Xen's expand_dev prefixes with /dev/ ("sdb", "vg/lv"). Only the text is checked here; what the path
/// names is checked on the opened fd (OpenedTarget).
/// </summary>
internal sealed record DiskTarget(string Path)
{
    /// <summary>PATH_MAX (&lt;linux/limits.h&gt;) counts the terminating NUL.</summary>
    internal const int PathMax = 4096;

    internal const string DevicePrefix = "/dev/";
    internal const string DeviceMapperPrefix = "/dev/mapper/";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static DiskTarget Parse(string parameters)
    {
        if (parameters.Length == 0)
            throw Invalid("params is empty");
        string quoted = Printable.Quote(parameters);
        if (Printable.HasControlCharacter(parameters))
            throw Invalid($"params {quoted} contains a control character");
        string path = parameters[0] == '/' ? parameters : DevicePrefix + parameters;
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(path);
        }
        catch (EncoderFallbackException)
        {
            throw Invalid($"params {quoted} is not valid Unicode");
        }
        if (bytes >= PathMax)
            throw Invalid($"params is {bytes} bytes long as a path; the limit is {PathMax - 1} (PATH_MAX)");
        if (path.EndsWith('/'))
            throw Invalid($"params {quoted} ends with \"/\"");
        if (path.StartsWith(DeviceMapperPrefix, System.StringComparison.Ordinal))
            CheckDeviceMapperName(path[DeviceMapperPrefix.Length..], quoted);
        CheckComponents(path, quoted);
        return new DiskTarget(path);
    }

    /// <summary>The device-mapper name when Path is /dev/mapper/NAME, else null.</summary>
    internal string? DeviceMapperName
        => Path.StartsWith(DeviceMapperPrefix, System.StringComparison.Ordinal) ? Path[DeviceMapperPrefix.Length..] : null;

    // The names the seed series' dm patches refuse: "control" is the ioctl node, "." and ".." are not
    // names, and a "/" would leave /dev/mapper.
    private static void CheckDeviceMapperName(string name, string quoted)
    {
        if (name == "control")
            throw Invalid($"params {quoted} is the device-mapper control node, not a device");
        if (name is "." or "..")
            throw Invalid($"params {quoted}: \"{name}\" is not a device-mapper name");
        if (name.Contains('/'))
            throw Invalid($"params {quoted}: a device-mapper name cannot contain \"/\"");
    }

    // "." and ".." components would let a bare name escape /dev ("../etc/shadow") and make the same
    // object reachable under many spellings; empty components are typos. Symlinks stay allowed.
    private static void CheckComponents(string path, string quoted)
    {
        foreach (string component in path[1..].Split('/'))
        {
            if (component.Length == 0)
                throw Invalid($"params {quoted} has an empty path component (\"//\")");
            if (component is "." or "..")
                throw Invalid($"params {quoted} has a \"{component}\" path component");
        }
    }

    private static HotplugFailure Invalid(string message) => new(message);
}
