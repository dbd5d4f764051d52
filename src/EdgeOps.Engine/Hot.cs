using System.Runtime.CompilerServices;

namespace EdgeOps
{
    static class Hot
    {
        /// <summary>
        /// MethodImplOptions.AggressiveOptimization (netstandard2.0 lacks the name; .NET Core 3+ honours the value): a loop
        /// that moves a whole card's bytes is compiled optimized once, instead of running at tier 0, then on-stack
        /// replacement, then a tier-1 recompile in every new PowerShell process.
        /// </summary>
        public const MethodImplOptions Loop = (MethodImplOptions)512;
    }
}
