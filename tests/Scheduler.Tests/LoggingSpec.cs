using System.Collections.Concurrent;
using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace Edsos.Scheduler.Tests;

/// <summary>Akka's own log events go to Microsoft.Extensions.Logging, and an actor's failure also to the event stream.</summary>
public sealed class LoggingSpec
{
    [Fact]
    public async Task ActorThrows_FailureLoggedThroughTheLoggerFactoryAndPublishedAsActorFailed()
    {
        var provider = new CollectingProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Debug));
        var system = Edsrt.Create("logging", new EdsrtOptions { LoggerFactory = factory });
        try
        {
            var failed = new TaskCompletionSource<ActorFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
            var collector = system.ActorOf(Props.Create(() => new FailureSink(failed)));
            system.EventStream.Subscribe(collector, typeof(ActorFailed));
            var crashing = system.ActorOf(Props.Create<Crashing>(), "crashing");

            crashing.Tell("boom");

            var failure = await failed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(crashing, failure.Actor);
            Assert.Equal("boom", failure.Message);
            Assert.IsType<InvalidOperationException>(failure.Exception);
            for (int i = 0; i < 100 && !provider.Entries.Any(e => e.Level == LogLevel.Error); i++)
            {
                await Task.Delay(50);
            }

            var logged = Assert.Single(provider.Entries, e => e.Level == LogLevel.Error);
            Assert.IsType<InvalidOperationException>(logged.Exception);
            Assert.Contains("crashing", logged.Category, StringComparison.Ordinal);
        }
        finally
        {
            await system.Terminate();
        }
    }

    private sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class Crashing : EdsrtActor
    {
        public Crashing()
        {
            Receive<string>(why => throw new InvalidOperationException(why));
        }
    }

    private sealed class FailureSink : ReceiveActor
    {
        public FailureSink(TaskCompletionSource<ActorFailed> failed)
        {
            Receive<ActorFailed>(f => failed.TrySetResult(f));
        }
    }

    private sealed class CollectingProvider : ILoggerProvider
    {
        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collecting(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Collecting(string category, ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), exception));
        }
    }
}
