using System;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using Renci.SshNet;

namespace EdgeOps.Transport
{
    /// <summary>
    /// Keeps the thread pool out of each SSH packet's arrival. SSH.NET connects asynchronously, and on Linux a socket that
    /// has done one asynchronous operation stays non-blocking: each receive of SSH.NET's message listener that finds no
    /// data then waits for .NET's epoll thread, which by default hands every event of the socket to a thread-pool worker;
    /// the worker does next to nothing and then spins (sched_yield) looking for more work. A bulk stream arrives one SSH
    /// packet at a time, so a backup of a 1 GiB card made about 3,900 such hand-offs and 313,000-437,000 sched_yield calls:
    /// 0.4-0.7 s of the controller's CPU per backup (perf; bench/backup). .NET can handle a socket's events on the epoll
    /// thread itself ("inline completions", what DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 does for a whole process);
    /// this turns that on for SSH.NET's socket only, once it is connected. After connecting SSH.NET makes only synchronous
    /// calls on it, so nothing but waking its listener runs on the epoll thread.
    /// Linux only, where it is measured and tested (macOS has the same socket engine over kqueue; not tried there). It
    /// reaches into SSH.NET's session (its socket) and .NET's socket handle (a settable internal property): when either is
    /// not there, nothing changes.
    /// </summary>
    static class InlineSocketEvents
    {
        const BindingFlags Internal = BindingFlags.NonPublic | BindingFlags.Instance;
        static readonly PropertyInfo s_session = typeof(BaseClient).GetProperty("Session", Internal);
        static readonly PropertyInfo s_safeHandle = typeof(Socket).GetProperty("SafeHandle", BindingFlags.Public | BindingFlags.Instance);
        static readonly PropertyInfo s_inline = s_safeHandle?.PropertyType.GetProperty("PreferInlineCompletions", Internal);

        /// <summary>Turns inline completions on for a connected client's socket, where it can (else nothing changes).</summary>
        public static void Apply(SshClient client)
        {
            if (s_session == null || s_inline == null || !s_inline.CanWrite || s_inline.PropertyType != typeof(bool)) return;
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return;
            try
            {
                var session = s_session.GetValue(client);
                var socket = session?.GetType().GetField("_socket", Internal)?.GetValue(session) as Socket;
                var handle = socket == null ? null : s_safeHandle.GetValue(socket);
                if (handle != null) s_inline.SetValue(handle, true);
            }
            catch (Exception e) when (e is TargetException || e is TargetInvocationException || e is MemberAccessException || e is ArgumentException)
            {
                // SSH.NET or .NET changed inside: the socket keeps .NET's default
            }
        }
    }
}
