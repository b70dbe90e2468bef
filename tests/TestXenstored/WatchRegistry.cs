using System.Collections.Generic;

namespace TestXenstored;

/// <summary>Client watches and in-process subscriptions; every member runs with the tree lock held.</summary>
internal sealed class WatchRegistry(ChangeCallbacks callbacks)
{
    private readonly List<Watch> watches = [];
    private readonly List<ChangeSubscription> subscriptions = [];

    /// <summary>EEXIST if the connection already watches the same path with the same token.</summary>
    public void Add(Watch watch)
    {
        if (Find(watch.Owner, watch.Target, watch.Token) is not null)
            throw new XsdException(XsdErrno.EEXIST, $"watch {watch.Path} {watch.Token}");
        watches.Add(watch);
    }

    /// <summary>ENOENT if there is no such watch.</summary>
    public void Remove(Connection owner, string target, string token)
    {
        Watch watch = Find(owner, target, token) ?? throw new XsdException(XsdErrno.ENOENT, $"watch {target} {token}");
        watches.Remove(watch);
    }

    public void RemoveAll(Connection owner) => watches.RemoveAll(w => w.Owner == owner);

    public void Add(ChangeSubscription subscription) => subscriptions.Add(subscription);

    public void Remove(ChangeSubscription subscription) => subscriptions.Remove(subscription);

    /// <summary>Notifies, in change order, every watch and subscription each change reaches.</summary>
    public void Fire(IEnumerable<ChangeEvent> changes)
    {
        foreach (ChangeEvent change in changes)
        {
            foreach (Watch watch in watches)
            {
                if (change.Reaches(watch.Target))
                    watch.Notify(change.Path);
            }
            foreach (ChangeSubscription subscription in subscriptions)
            {
                if (change.Reaches(subscription.Prefix))
                    callbacks.Enqueue(subscription, change.Path);
            }
        }
    }

    /// <summary>
    /// <paramref name="count"/> events for a change at <paramref name="absolutePath"/> to every client watch it
    /// reaches, each watch's events sent in one message burst: a flood faster than any client can take.
    /// </summary>
    public void FireBurst(string absolutePath, int count)
    {
        var change = new ChangeEvent(absolutePath, ExactOnly: false);
        foreach (Watch watch in watches)
        {
            if (change.Reaches(watch.Target))
                watch.NotifyMany(absolutePath, count);
        }
    }

    /// <summary>Fires a special event such as <c>@introduceDomain</c> on the watches set exactly on it.</summary>
    public void FireSpecial(string name)
    {
        foreach (Watch watch in watches)
        {
            if (watch.Target == name)
                watch.Notify(name);
        }
    }

    private Watch? Find(Connection owner, string target, string token)
        => watches.Find(w => w.Owner == owner && w.Target == target && w.Token == token);
}
