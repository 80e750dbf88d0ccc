namespace Edsos.Host.Cluster;

/// <summary>One SIGKILL of a chaos run (<c>cluster demo --chaos K</c>) and what the cluster made of it.</summary>
/// <param name="Target">What was killed: <c>user</c> (the victim user process), <c>net</c>, <c>driver</c> or <c>B</c>.</param>
/// <param name="Host">The EDSOS host of the killed process.</param>
/// <param name="Pid">The killed process.</param>
/// <param name="AfterEchoes">Echoes host A's app had verified when the coordinator decided on the kill.</param>
/// <param name="JitterUs">How long after hearing of those echoes the coordinator struck, in microseconds (seeded).</param>
/// <param name="RemovedAfterS">Seconds from the SIGKILL until the cluster removed the member (null: never).</param>
/// <param name="RejoinedAfterS">Seconds from the SIGKILL until its restarted successor was up and found (null: never).</param>
public sealed record ClusterKillRecord(string Target, string Host, int Pid, int AfterEchoes, int JitterUs, double? RemovedAfterS, double? RejoinedAfterS);
