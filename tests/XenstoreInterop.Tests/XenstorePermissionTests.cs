using System;
using Xunit;

namespace XenstoreInterop.Tests;

[Collection(XenstoredPathCollection.Name)]
public sealed class XenstorePermissionTests : ConnectedTests
{

    [Fact]
    public void NewNode_IsOwnedByDom0WithNoAccessForOthers()
    {
        Client.Write("/test/perm", "1");
        Assert.Equal(new[] { new XenstorePermission(0, XenstoreAccess.None) }, Client.GetPermissions("/test/perm"));
    }

    [Fact]
    public void SetPermissions_ThenGet_RoundTripsEveryAccess()
    {
        var permissions = new[]
        {
            new XenstorePermission(3, XenstoreAccess.None),
            new XenstorePermission(5, XenstoreAccess.Read),
            new XenstorePermission(7, XenstoreAccess.Write),
            new XenstorePermission(9, XenstoreAccess.Both),
        };
        Client.Write("/test/perm", "1");

        Client.SetPermissions("/test/perm", permissions);

        Assert.Equal(permissions, Client.GetPermissions("/test/perm"));
        Assert.Equal("n3 r5 w7 b9", string.Join(' ', Client.GetPermissions("/test/perm")));
    }

    [Fact]
    public void GetPermissions_MissingNode_ThrowsEnoent()
    {
        var e = Assert.Throws<XenstoreException>(() => Client.GetPermissions("/test/missing"));
        Assert.Equal(("xs_get_permissions", 2), (e.Call, e.Errno));
    }

    [Fact]
    public void SetPermissions_EmptyList_IsRejected()
    {
        Client.Write("/test/perm", "1");
        Assert.Throws<ArgumentException>(() => Client.SetPermissions("/test/perm", Array.Empty<XenstorePermission>()));
    }
}
