using System.Globalization;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.DependencyInjection;

namespace Edsos.Scheduler;

/// <summary>
/// Builds the Akka.NET actor system of one EDSOS host with EDSRT on top: the tracing mailbox for
/// EDSRT actors, the dispatcher, Akka's logging routed to <c>Microsoft.Extensions.Logging</c>,
/// dependency injection and the <see cref="EdsrtExtension"/> (memory, tree spaces, faults, tracing).
/// </summary>
public static class Edsrt
{
    /// <summary>The HOCON id of the mailbox EDSRT actors get through <c>IRequiresMessageQueue</c>.</summary>
    public const string TracingMailboxId = "edsrt-tracing-mailbox";

    /// <summary>Creates and starts a host's actor system, its EDSRT extension loaded.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a valid actor system name.</exception>
    public static ActorSystem Create(string name, EdsrtOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= new EdsrtOptions();
        var system = ActorSystem.Create(name, BuildSetup(options));
        _ = EdsrtExtension.Get(system);
        return system;
    }

    /// <summary>
    /// The setup <see cref="Create"/> uses: configuration, dependency resolver and <see cref="EdsrtSetup"/>.
    /// TestKits pass it to their own system; the extension then loads on first use.
    /// </summary>
    public static ActorSystemSetup BuildSetup(EdsrtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var setup = BootstrapSetup.Create().WithConfig(BuildConfig(options))
            .And(new EdsrtSetup(options.Memory, options.LoggerFactory, options.PrivateMemoryPages));
        if (options.Services is not null)
        {
            setup = setup.And(DependencyResolverSetup.Create(options.Services));
        }

        return setup;
    }

    /// <summary>The configuration of an EDSRT system: <see cref="EdsrtOptions.ExtraConfig"/> over the defaults.</summary>
    public static Config BuildConfig(EdsrtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.DispatcherThreads, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Throughput, nameof(options));
        // Akka's default scheduler ticks every 10 ms forever once used; ours sleeps until something is due.
        string scheduler = options.UseTestScheduler
            ? "scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\""
            : "scheduler.implementation = \"Edsos.Scheduler.TimerQueueScheduler, Edsos.Scheduler\"";
        string dispatcher = options.Dispatcher switch
        {
            EdsrtDispatcher.ForkJoin => $"type = ForkJoinDispatcher, dedicated-thread-pool {{ thread-count = {options.DispatcherThreads}, threadtype = background }}",
            EdsrtDispatcher.SharedPerCpu => SharedDispatcher(Environment.ProcessorCount, queuePerThread: true),
            _ => SharedDispatcher(options.DispatcherThreads, queuePerThread: false),
        };
        // EDSOS_AKKA_LOG=DEBUG|INFO|WARNING|ERROR sends Akka's own events to standard out as well:
        // a debugging aid for a person at a terminal, off by default so no stack trace reaches a user.
        string stdoutLevel = Environment.GetEnvironmentVariable("EDSOS_AKKA_LOG") is { Length: > 0 } level ? level : "OFF";
        string loggers = stdoutLevel == "OFF"
            ? "\"Edsos.Scheduler.Logging.LoggerFactoryLogger, Edsos.Scheduler\""
            : "\"Akka.Event.StandardOutLogger, Akka\"";
        string logLevel = stdoutLevel == "OFF" ? options.LogLevel : stdoutLevel;
        string hocon = string.Create(CultureInfo.InvariantCulture, $$"""
            akka {
              loglevel = {{logLevel}}
              stdout-loglevel = {{stdoutLevel}}
              loggers = [{{loggers}}]
              logger-startup-timeout = 10s
              log-dead-letters = off
              log-dead-letters-during-shutdown = off
              log-config-on-start = off
              actor {
                default-dispatcher {
                  {{dispatcher}}
                  throughput = {{options.Throughput}}
                }
                mailbox.requirements {
                  "Edsos.Scheduler.Tracing.ITracingMessageQueue, Edsos.Scheduler" = {{TracingMailboxId}}
                }
              }
              coordinated-shutdown.run-by-clr-shutdown-hook = off
              {{scheduler}}
            }
            {{TracingMailboxId}} {
              mailbox-type = "Edsos.Scheduler.Tracing.TracingMailbox, Edsos.Scheduler"
            }
            """);
        var config = ConfigurationFactory.ParseString(hocon);
        if (options.ExtraConfig is not null)
        {
            config = ConfigurationFactory.ParseString(options.ExtraConfig).WithFallback(config);
        }

        // EDSOS_AKKA_CONFIG: HOCON over everything, for tuning an experiment (a dispatcher, a throughput)
        // without a rebuild; the benchmarks in the README ran without it.
        return Environment.GetEnvironmentVariable("EDSOS_AKKA_CONFIG") is { Length: > 0 } overlay
            ? ConfigurationFactory.ParseString(overlay).WithFallback(config)
            : config;
    }

    /// <summary>The <see cref="EdsrtDispatcher.Shared"/> (or <see cref="EdsrtDispatcher.SharedPerCpu"/>) dispatcher's HOCON (without throughput).</summary>
    private static string SharedDispatcher(int threads, bool queuePerThread) => string.Create(CultureInfo.InvariantCulture, $$"""
        type = Dispatcher
        executor = "Edsos.Scheduler.SharedParkingExecutorConfigurator, Edsos.Scheduler"
        shared-executor {
          thread-count = {{threads}}
          spin-us = 200
          spin-yield = on
          shared = "edsrt-{{(queuePerThread ? "cpu-" : "")}}{{threads}}"
          run-continuations = on
          queue-per-thread = {{(queuePerThread ? "on" : "off")}}
          max-threads = 16
          blocked-after-ms = 50
          saturated-after-ms = 0
          spare-lease-ms = 100
        }
        """);
}
