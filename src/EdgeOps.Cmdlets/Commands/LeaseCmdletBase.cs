using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Shared by the lease cmdlets (not device cmdlets: they talk to a testbed's Blazar/Keystone over HTTPS, or read
    /// a saved calendar). Holds the Blazar/Keystone parameters, turns Ctrl+C into cancellation of the HTTP calls,
    /// and relays the engine's verbose messages (written from worker threads) on the pipeline thread.
    /// No fields of engine types here (see CONTEXT: PowerShell scans these types before the engine is loadable).
    /// </summary>
    public abstract class LeaseCmdletBase : PSCmdlet
    {
        /// <summary>Keystone v3 URL (https://host:5000/v3). With it, an http(s) -Calendar is a Blazar endpoint.</summary>
        [Parameter]
        public string AuthUrl { get; set; }

        /// <summary>Application credential (user name = credential id, password = secret) or user name and password.</summary>
        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; }

        [Parameter]
        [ValidateSet("ApplicationCredential", "Password")]
        public string AuthMethod { get; set; } = "ApplicationCredential";

        /// <summary>Allow plain http:// to Keystone and Blazar on another machine (refused by default).</summary>
        [Parameter] public SwitchParameter AllowInsecureHttp { get; set; }

        [Parameter] public string ProjectId { get; set; }
        [Parameter] public string ProjectName { get; set; }
        [Parameter] public string UserDomainName { get; set; } = "Default";
        [Parameter] public string ProjectDomainName { get; set; } = "Default";

        /// <summary>Region of the reservation endpoint in Keystone's catalog (when -Calendar/-Endpoint is not given).</summary>
        [Parameter] public string Region { get; set; }

        [Parameter]
        [ValidateSet("Device", "Host")]
        public string ResourceType { get; set; } = "Device";

        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 100;

        readonly CancellationTokenSource _stop = new CancellationTokenSource();
        readonly ConcurrentQueue<string> _verbose = new ConcurrentQueue<string>();
        volatile PipelinePump _pump;

        protected CancellationToken Cancellation => _stop.Token;

        protected override void StopProcessing() => _stop.Cancel();

        /// <summary>For the engine, from any thread: relayed by the running engine work's pump, else by FlushVerbose.</summary>
        protected void QueueVerbose(string message)
        {
            var pump = _pump;
            if (pump != null) pump.Post(() => WriteVerbose(message));
            else _verbose.Enqueue(message);
        }

        protected void FlushVerbose()
        {
            while (_verbose.TryDequeue(out var m)) WriteVerbose(m);
        }

        /// <summary>
        /// Runs engine work off the pipeline thread (PipelinePump.Work, as every cmdlet does) and waits for it,
        /// relaying verbose messages as they come. Ctrl+C cancels the token (HTTP calls abort) and stops the pipeline.
        /// </summary>
        protected T RunEngine<T>(Func<CancellationToken, Task<T>> work)
        {
            FlushVerbose();
            try
            {
                return PipelinePump.Work(_stop.Token, pump =>
                {
                    _pump = pump;
                    try { return work(_stop.Token).GetAwaiter().GetResult(); }
                    finally { _pump = null; }
                });
            }
            finally { FlushVerbose(); }
        }

        /// <summary>An engine error as a terminating error record with its stable id and category.</summary>
        protected void ThrowEngineError(EdgeOpsException e, object target)
        {
            ThrowTerminatingError(ErrorRecords.For(e, target));
        }

        /// <summary>
        /// The Keystone login from the parameters, with the OpenStack RC variables as defaults (OS_AUTH_URL,
        /// OS_APPLICATION_CREDENTIAL_ID/_SECRET or OS_USERNAME/OS_PASSWORD, OS_PROJECT_ID/_NAME, OS_USER_DOMAIN_NAME,
        /// OS_PROJECT_DOMAIN_NAME, OS_REGION_NAME), as a testbed's downloaded openrc file sets them. Null: no -AuthUrl.
        /// </summary>
        protected EdgeOps.Leases.KeystoneCredentials KeystoneLogin()
        {
            string Env(string n) { var v = Environment.GetEnvironmentVariable(n); return string.IsNullOrWhiteSpace(v) ? null : v.Trim(); }
            bool Bound(string n) => MyInvocation.BoundParameters.ContainsKey(n);
            var authUrl = !string.IsNullOrWhiteSpace(AuthUrl) ? AuthUrl.Trim() : Env("OS_AUTH_URL");
            if (authUrl == null) return null;
            var c = new EdgeOps.Leases.KeystoneCredentials
            {
                AuthUrl = authUrl, Method = AuthMethod, AllowInsecureHttp = AllowInsecureHttp.IsPresent,
                ProjectId = ProjectId ?? Env("OS_PROJECT_ID"), ProjectName = ProjectName ?? Env("OS_PROJECT_NAME"),
                UserDomainName = Bound(nameof(UserDomainName)) ? UserDomainName : Env("OS_USER_DOMAIN_NAME") ?? UserDomainName,
                ProjectDomainName = Bound(nameof(ProjectDomainName)) ? ProjectDomainName : Env("OS_PROJECT_DOMAIN_NAME") ?? ProjectDomainName,
                Region = Region ?? Env("OS_REGION_NAME"),
            };
            if (Credential != null)
            {
                c.UserName = Credential.UserName;
                c.Secret = Credential.GetNetworkCredential().Password;
            }
            else if (Env("OS_APPLICATION_CREDENTIAL_ID") != null && Env("OS_APPLICATION_CREDENTIAL_SECRET") != null && !Bound(nameof(AuthMethod)))
            {
                c.Method = "ApplicationCredential";
                c.UserName = Env("OS_APPLICATION_CREDENTIAL_ID");
                c.Secret = Environment.GetEnvironmentVariable("OS_APPLICATION_CREDENTIAL_SECRET");
                WriteVerbose($"Keystone login from the environment: application credential {c.UserName} (OS_APPLICATION_CREDENTIAL_ID).");
            }
            else if (Env("OS_USERNAME") != null && Env("OS_PASSWORD") != null)
            {
                c.Method = "Password";
                c.UserName = Env("OS_USERNAME");
                c.Secret = Environment.GetEnvironmentVariable("OS_PASSWORD");
                WriteVerbose($"Keystone login from the environment: user {c.UserName} (OS_USERNAME).");
            }
            return c;
        }

        /// <summary>Unwraps PSObject so engine code sees the real value.</summary>
        protected static object Unwrap(object o) => o is PSObject p ? p.BaseObject : o;
    }
}
