namespace Edsos.Memory.Shared;

/// <summary>What <see cref="SharedArena.ReapDeadProcesses"/> found and undid.</summary>
/// <param name="Processes">Dead processes whose records were released.</param>
/// <param name="Pids">Their pids.</param>
/// <param name="LiftedTs">TSs they hosted, now exited.</param>
/// <param name="RevokedNodes">Nodes (owned by or originating in those TSs) revoked by the lifts.</param>
/// <param name="ReleasedPins">Pins they held, released.</param>
/// <param name="RevokedCtrns">Of <paramref name="RevokedNodes"/>, the CTRNs (shares into other TSs or out of them).</param>
public sealed record ReapReport(int Processes, IReadOnlyList<int> Pids, int LiftedTs, int RevokedNodes, int ReleasedPins, int RevokedCtrns = 0);
