using Edsos.Host;

return await EdsosCli.RunAsync(args);
