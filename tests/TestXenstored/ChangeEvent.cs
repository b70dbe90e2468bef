namespace TestXenstored;

/// <summary>
/// A committed change that fires watches. A write, mkdir, set-perms or the root of a removal reaches
/// watches on the path and its ancestors; each descendant a removal deletes reaches only watches set
/// exactly on it (xenstored 4.17 delnode_sub(): fire_watches(..., exact)).
/// </summary>
internal readonly record struct ChangeEvent(string Path, bool ExactOnly)
{
    /// <summary>Whether a watch on the absolute <paramref name="watchPath"/> sees this change.</summary>
    public bool Reaches(string watchPath)
        => ExactOnly ? Path == watchPath : XenstorePath.IsAtOrBelow(Path, watchPath);
}
