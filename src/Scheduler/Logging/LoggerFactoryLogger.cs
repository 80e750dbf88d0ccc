using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edsos.Scheduler.Logging;

/// <summary>
/// Akka's logger actor for EDSRT systems: routes Akka's own log events (supervision failures, remoting,
/// dead letters when enabled) to the <see cref="ILoggerFactory"/> of the system's <see cref="EdsrtSetup"/>,
/// one category per log source, instead of Akka's standard-out logger. With no factory nothing is
/// written, so an injected driver crash prints no stack trace on a user's terminal.
/// </summary>
public sealed class LoggerFactoryLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;

    /// <summary>Created by Akka from <c>akka.loggers</c>.</summary>
    public LoggerFactoryLogger()
    {
        var setup = Context.System.Settings.Setup.Get<EdsrtSetup>();
        _factory = setup.HasValue && setup.Value.LoggerFactory is { } factory ? factory : NullLoggerFactory.Instance;
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    private void Write(LogEvent e)
    {
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => Microsoft.Extensions.Logging.LogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => Microsoft.Extensions.Logging.LogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => Microsoft.Extensions.Logging.LogLevel.Warning,
            _ => Microsoft.Extensions.Logging.LogLevel.Error,
        };
        var logger = _factory.CreateLogger(e.LogSource ?? "Akka");
        if (!logger.IsEnabled(level))
        {
            return;
        }

#pragma warning disable CA2254 // Akka formats its own message; it is not a template.
        logger.Log(level, e.Cause, e.Message?.ToString() ?? string.Empty);
#pragma warning restore CA2254
    }
}
