using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Dependency isolation. EdgeOps.dll references only EdgeOps.Engine, which lives with every third-party
    /// dependency in ./Dependencies. On PowerShell 7 the engine is loaded into the module's own
    /// AssemblyLoadContext, so SSH.NET, YamlDotNet, ONNX Runtime... never clash with other modules' versions
    /// already loaded in the session. On Windows PowerShell 5.1 (no load contexts) an AssemblyResolve
    /// handler loads them from the same folder.
    /// </summary>
    public sealed class ModuleInit : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        internal static readonly string DependencyDir =
            Path.Combine(Path.GetDirectoryName(typeof(ModuleInit).Assembly.Location) ?? ".", "Dependencies");

        static readonly bool s_isCore = RuntimeInformation.FrameworkDescription.StartsWith(".NET Core", StringComparison.Ordinal)
            || !RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

        public void OnImport()
        {
            if (s_isCore) CoreResolver.Install(DependencyDir);
            else AppDomain.CurrentDomain.AssemblyResolve += ResolveDesktop;
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            if (s_isCore) CoreResolver.Uninstall();
            else AppDomain.CurrentDomain.AssemblyResolve -= ResolveDesktop;
        }

        static Assembly ResolveDesktop(object sender, ResolveEventArgs args)
        {
            var path = Path.Combine(DependencyDir, new AssemblyName(args.Name).Name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }

    /// <summary>Kept in its own class so Windows PowerShell never loads the AssemblyLoadContext type.</summary>
    static class CoreResolver
    {
        static EngineLoadContext s_context;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Install(string dir)
        {
            if (s_context == null) s_context = new EngineLoadContext(dir);
            AssemblyLoadContext.Default.Resolving -= ResolveEngine;
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Uninstall() => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

        // Only the engine is handed out to the default context; everything the engine needs is then
        // resolved by the engine's own context.
        static Assembly ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name) =>
            name.Name == "EdgeOps.Engine" ? s_context.LoadFromAssemblyName(name) : null;
    }

    sealed class EngineLoadContext : AssemblyLoadContext
    {
        readonly string _dir, _coreDir, _readyToRunDir;
        readonly HashSet<string> _platform;

        public EngineLoadContext(string dir)
        {
            _dir = dir;
            // .NET 8 or later (PowerShell 7.4+): the .NET builds of the libraries that have faster ones (see the engine's project)
            _coreDir = Environment.Version.Major >= 8 ? Path.Combine(dir, "core") : null;
            // .NET 10 on linux-x64 (PowerShell 7.6): the same builds ReadyToRun-compiled for it (build/ReadyToRun), so a new
            // pwsh does not JIT-compile them; their native code is only valid for the runtime it was compiled against
            _readyToRunDir = Environment.Version.Major == 10 && RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
                && RuntimeInformation.ProcessArchitecture == Architecture.X64 ? Path.Combine(dir, "core", "net10.0-linux-x64") : null;
            // Framework and host assemblies (System.*, System.Management.Automation) stay shared with the default context.
            var tpa = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "")
                .Split(Path.PathSeparator).Where(p => p.Length > 0).Select(Path.GetFileNameWithoutExtension);
            _platform = new HashSet<string>(tpa, StringComparer.OrdinalIgnoreCase);
            _platform.ExceptWith(new[] { "EdgeOps.Engine" });
        }

        protected override Assembly Load(AssemblyName name)
        {
            var path = Path.Combine(_dir, name.Name + ".dll");
            if (!File.Exists(path)) return null;
            if (_platform.Contains(name.Name) && IsFrameworkName(name.Name)) return null;
            foreach (var preferred in new[] { _readyToRunDir, _coreDir })
            {
                var candidate = preferred == null ? null : Path.Combine(preferred, name.Name + ".dll");
                if (candidate != null && File.Exists(candidate)) return LoadFromAssemblyPath(candidate);
            }
            return LoadFromAssemblyPath(path);
        }

        // A platform assembly of the runtime (System.*, Microsoft.Win32.*, netstandard) is always shared;
        // a third-party one that merely happens to sit in the host's folder (YamlDotNet in a host app) is ours.
        static bool IsFrameworkName(string n) =>
            n.StartsWith("System.", StringComparison.Ordinal) || n == "System" || n == "netstandard" || n == "mscorlib"
            || n.StartsWith("Microsoft.Win32.", StringComparison.Ordinal) || n == "Microsoft.CSharp"
            || n.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) || n == "Microsoft.Bcl.AsyncInterfaces";

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            string rid = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
                       : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            var native = Path.Combine(_dir, "runtimes", rid + "-" + arch, "native");
            foreach (var candidate in new[] { unmanagedDllName, "lib" + unmanagedDllName + ".so", unmanagedDllName + ".so",
                                              unmanagedDllName + ".dll", "lib" + unmanagedDllName + ".dylib" })
            {
                var p = Path.Combine(native, candidate);
                if (File.Exists(p)) return LoadUnmanagedDllFromPath(p);
            }
            return IntPtr.Zero;
        }
    }
}
