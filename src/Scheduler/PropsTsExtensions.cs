using Akka.Actor;
using Akka.Configuration;
using Akka.Routing;

namespace Edsos.Scheduler;

/// <summary>Binds an EDSRT actor's props to a tree space.</summary>
public static class PropsTsExtensions
{
    /// <summary>The deployment configuration key that carries the tree space path.</summary>
    public const string TsConfigKey = "edsos.ts";

    /// <summary>
    /// Returns props whose <see cref="EdsrtActor"/> is bound to the tree space at <paramref name="path"/>
    /// (for example <c>/net/sockets/sock_1</c>); the tree space and missing ancestors are created when the
    /// actor is. The path rides in the props' deployment, so it survives every other <c>With*</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not start with '/'.</exception>
    public static Props WithTs(this Props props, string path)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path[0] != '/')
        {
            throw new ArgumentException($"a tree space path starts with '/': '{path}'", nameof(path));
        }

        string quoted = path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        var config = ConfigurationFactory.ParseString($"{TsConfigKey} = \"{quoted}\"");
        var deploy = new Deploy(string.Empty, config, NoRouter.Instance, Deploy.NoScopeGiven, Deploy.NoDispatcherGiven);
        return props.WithDeploy(deploy);
    }
}
