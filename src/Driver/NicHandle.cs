using Edsos.Driver.Wires;
using Edsos.Memory;
using Akka.Actor;
using Edsos.Scheduler;

namespace Edsos.Driver;

/// <summary>A started NIC: its driver actors, its device actor, its TS and wire. Returned by <see cref="NicDriver.Start"/>.</summary>
/// <param name="Name">The NIC's name (<see cref="NicOptions.Name"/>).</param>
/// <param name="DriverTs">The driver's TS, <c>/drivers/net/&lt;Name&gt;</c>: protocol workers <c>ct_share</c> skbs here.</param>
/// <param name="TxWorker">Takes <see cref="DriverProtocol.XmitSkbEvent"/>, <see cref="DriverProtocol.AttachTx"/>, <see cref="DriverProtocol.GetNicStatistics"/>.</param>
/// <param name="RxWorker">Takes <see cref="DriverProtocol.AttachRx"/>.</param>
/// <param name="Device">The <see cref="Device.VirtualNicActor"/>.</param>
/// <param name="Wire">The wire end the device is attached to.</param>
public sealed record NicHandle(string Name, TsId DriverTs, IActorRef TxWorker, IActorRef RxWorker, IActorRef Device, IWire Wire);
