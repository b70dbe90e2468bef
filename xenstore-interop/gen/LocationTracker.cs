using System.Text.Json;

namespace XenstoreGen;

/// <summary>
/// Follows the file of clang's JSON locations. clang prints "file" only when it differs from the last
/// location printed anywhere before (loc, range begin/end, spelling and expansion locations of nested
/// nodes), so every location is visited in document order to know the current file.
/// </summary>
internal sealed class LocationTracker
{
    private string file = "";

    /// <summary>The file a top-level declaration is written in (its expansion location); moves past the node.</summary>
    public string FileOf(JsonElement declaration)
    {
        string declarationFile = file;
        foreach (var property in declaration.EnumerateObject())
        {
            Visit(property.Value);
            if (property.NameEquals("loc"))
                declarationFile = file;
        }
        return declarationFile;
    }

    private void Visit(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
                Visit(item);
            return;
        }
        if (element.ValueKind != JsonValueKind.Object)
            return;
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals("file") && property.Value.ValueKind == JsonValueKind.String)
                file = property.Value.GetString()!;
            else if (!property.NameEquals("includedFrom"))  // names the includer; clang does not count it as printed
                Visit(property.Value);
        }
    }
}
