namespace Edsos.Memory;

/// <summary>
/// Whether a TS is kernel or user. A user TS may not share memory that originated in a kernel TS
/// (seed 000, 4.2). By default a TS whose path is <c>/user_proc</c> or below it is
/// <see cref="User"/>; everything else is <see cref="Kernel"/>.
/// </summary>
public enum TsKind
{
    /// <summary>A kernel service TS (sockets, protocol, drivers, KPN when created as such).</summary>
    Kernel,

    /// <summary>A user process TS.</summary>
    User,
}
