using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EdgeOps.Leases
{
    /// <summary>A Keystone v3 login. ToString never shows the secret.</summary>
    public sealed class KeystoneCredentials
    {
        public string AuthUrl { get; set; }
        /// <summary>Allow plain http:// to Keystone and Blazar on another machine (refused by default: the secret and token travel there).</summary>
        public bool AllowInsecureHttp { get; set; }
        /// <summary>ApplicationCredential (UserName = the credential's id) or Password.</summary>
        public string Method { get; set; } = "ApplicationCredential";
        public string UserName { get; set; }
        public string Secret { get; set; }
        public string ProjectId { get; set; }
        public string ProjectName { get; set; }
        public string UserDomainName { get; set; } = "Default";
        public string ProjectDomainName { get; set; } = "Default";
        public string Region { get; set; }
        public bool IsApplicationCredential => !string.Equals(Method, "Password", StringComparison.OrdinalIgnoreCase);
        public override string ToString() => $"{(IsApplicationCredential ? "application credential" : "user")} '{UserName}' at {AuthUrl}";
    }

    /// <summary>A Keystone token and the service catalog that came with it.</summary>
    public sealed class KeystoneToken
    {
        public string Value { get; set; }
        public string ProjectId { get; set; }
        public IList<object> Catalog { get; set; } = new List<object>();

        /// <summary>The catalog's URL for a service type (Blazar: "reservation"), public interface, optionally in a region.</summary>
        public string FindEndpoint(string serviceType, string region, string iface = "public")
        {
            foreach (var svc in Catalog)
            {
                if (!string.Equals(Json.Str(svc, "type"), serviceType, StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var ep in Json.Arr(svc, "endpoints") ?? new List<object>())
                {
                    if (!string.Equals(Json.Str(ep, "interface"), iface, StringComparison.OrdinalIgnoreCase)) continue;
                    var r = Json.Str(ep, "region_id") ?? Json.Str(ep, "region");
                    if (!string.IsNullOrEmpty(region) && !string.Equals(r, region, StringComparison.OrdinalIgnoreCase)) continue;
                    return Json.Str(ep, "url");
                }
            }
            return null;
        }
    }

    /// <summary>Keystone v3 authentication: POST /v3/auth/tokens; the token comes back in X-Subject-Token.</summary>
    public static class Keystone
    {
        public static Uri TokenUrl(string authUrl)
        {
            if (string.IsNullOrWhiteSpace(authUrl) || !Uri.TryCreate(authUrl.Trim(), UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                throw new EdgeOpsException("InvalidAuthUrl", "InvalidArgument",
                    $"-AuthUrl '{authUrl}' is not an http(s) URL. Give the Keystone v3 URL, for example https://chi.edge.chameleoncloud.org:5000/v3.");
            var path = u.AbsolutePath.TrimEnd('/');
            if (path.EndsWith("/v3/auth/tokens", StringComparison.OrdinalIgnoreCase)) { }
            else if (path.EndsWith("/v3", StringComparison.OrdinalIgnoreCase)) path += "/auth/tokens";
            else path += "/v3/auth/tokens";
            return new UriBuilder(u) { Path = path, Query = "" }.Uri;
        }

        /// <summary>The request body; the secret is in it, so it is never logged.</summary>
        public static string RequestBody(KeystoneCredentials c)
        {
            var identity = new Dictionary<string, object>();
            var auth = new Dictionary<string, object> { ["identity"] = identity };
            if (c.IsApplicationCredential)
            {
                identity["methods"] = new List<object> { "application_credential" };
                // an application credential is already scoped to its project: Keystone refuses a scope beside it
                identity["application_credential"] = new Dictionary<string, object> { ["id"] = c.UserName, ["secret"] = c.Secret };
            }
            else
            {
                identity["methods"] = new List<object> { "password" };
                identity["password"] = new Dictionary<string, object>
                {
                    ["user"] = new Dictionary<string, object>
                    {
                        ["name"] = c.UserName,
                        ["domain"] = new Dictionary<string, object> { ["name"] = c.UserDomainName ?? "Default" },
                        ["password"] = c.Secret,
                    },
                };
                auth["scope"] = new Dictionary<string, object>
                {
                    ["project"] = !string.IsNullOrEmpty(c.ProjectId)
                        ? new Dictionary<string, object> { ["id"] = c.ProjectId }
                        : new Dictionary<string, object> { ["name"] = c.ProjectName, ["domain"] = new Dictionary<string, object> { ["name"] = c.ProjectDomainName ?? "Default" } },
                };
            }
            return Json.Write(new Dictionary<string, object> { ["auth"] = auth });
        }

        public static async Task<KeystoneToken> AuthenticateAsync(HttpClient http, KeystoneCredentials c, Action<string> verbose, CancellationToken ct)
        {
            if (string.IsNullOrEmpty(c.UserName) || string.IsNullOrEmpty(c.Secret))
                throw new EdgeOpsException("CredentialMissing", "InvalidArgument",
                    $"-Credential is needed to log in to Keystone at {c.AuthUrl}: for an application credential, its id as user name and its secret as password.");
            if (!c.IsApplicationCredential && string.IsNullOrEmpty(c.ProjectId) && string.IsNullOrEmpty(c.ProjectName))
                throw new EdgeOpsException("ProjectMissing", "InvalidArgument",
                    "-AuthMethod Password needs a project: give -ProjectId or -ProjectName (the project whose leases you work with).");
            EdgeOps.Storage.InsecureHttp.Check(c.AuthUrl, c.AllowInsecureHttp, "-AuthUrl", "the secret sent and the token returned");
            var url = TokenUrl(c.AuthUrl);
            verbose?.Invoke($"Keystone: authenticating {c} ({url.GetLeftPart(UriPartial.Path)}).");
            using (var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(RequestBody(c), Encoding.UTF8, "application/json") })
            {
                req.Headers.Accept.ParseAdd("application/json");
                using (var resp = await Http.SendAsync(http, req, "Keystone", ct).ConfigureAwait(false))
                {
                    var body = await resp.Content.ReadAsStringAsync().ConfigureAwait(false);
                    if (resp.StatusCode == HttpStatusCode.Unauthorized || resp.StatusCode == HttpStatusCode.Forbidden)
                        throw new EdgeOpsException("KeystoneAuthenticationFailed", "AuthenticationError",
                            $"Keystone at {Http.Display(url)} refused the login of {(c.IsApplicationCredential ? "application credential" : "user")} '{c.UserName}' ({(int)resp.StatusCode}: {ErrorMessage(body)}). Check -Credential{(c.IsApplicationCredential ? " (the application credential's id as user name, its secret as password) and that it has not expired" : ", -UserDomainName and the project")}.");
                    if (!resp.IsSuccessStatusCode)
                        throw new EdgeOpsException("KeystoneRequestFailed", "InvalidResult",
                            $"Keystone at {Http.Display(url)} answered {(int)resp.StatusCode}: {ErrorMessage(body)}.");
                    var token = resp.Headers.TryGetValues("X-Subject-Token", out var values) ? values.FirstOrDefault() : null;
                    if (string.IsNullOrEmpty(token))
                        throw new EdgeOpsException("KeystoneRequestFailed", "InvalidResult",
                            $"Keystone at {Http.Display(url)} answered {(int)resp.StatusCode} without an X-Subject-Token header: is -AuthUrl really a Keystone v3 endpoint?");
                    object json;
                    try { json = Json.Parse(body); }
                    catch (FormatException) { json = null; }
                    var t = Json.Obj(json, "token");
                    var result = new KeystoneToken
                    {
                        Value = token,
                        ProjectId = Json.Str(Json.Obj(t, "project"), "id"),
                        Catalog = Json.Arr(t, "catalog") ?? new List<object>(),
                    };
                    verbose?.Invoke($"Keystone: token issued{(result.ProjectId != null ? " for project " + result.ProjectId : "")}, catalog of {result.Catalog.Count} service(s).");
                    return result;
                }
            }
        }

        /// <summary>The message of an OpenStack error body ({"error": {"message"}} or Blazar's {"error_message"}), else the text.</summary>
        public static string ErrorMessage(string body)
        {
            try
            {
                var j = Json.Parse(body ?? "");
                var m = Json.Str(Json.Obj(j, "error"), "message") ?? Json.Str(j, "error_message") ?? Json.Str(j, "message")
                        ?? Json.Str(Json.Obj(j, "badRequest"), "message") ?? Json.Str(Json.Obj(j, "conflictingRequest"), "message");
                if (m != null) return m.Trim();
            }
            catch (FormatException) { }
            var s = (body ?? "").Trim();
            return s.Length > 300 ? s.Substring(0, 300) + "..." : s.Length == 0 ? "(no body)" : s;
        }
    }
}
