using System.Management.Automation;

namespace EdgeOps.Commands
{
    /// <summary>
    /// Checks a duration parameter at binding time against the one duration grammar (Durations.Parse: 30s, 2m, 1h30m,
    /// 1d, 1500ms, 90, 00:01:30). The parameter is a string so that PowerShell hands over what was typed: as a TimeSpan
    /// or object, `1d` would arrive as the decimal literal 1 and `30s` as the Int16 30.
    /// </summary>
    public sealed class ValidateDurationAttribute : ValidateArgumentsAttribute
    {
        readonly string _parameterName;
        readonly bool _allowZero;

        public ValidateDurationAttribute(string parameterName, bool allowZero = false)
        {
            _parameterName = parameterName;
            _allowZero = allowZero;
        }

        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            var value = arguments is PSObject p ? p.BaseObject : arguments;
            try { Durations.Parse(value, _parameterName, _allowZero); }
            catch (EdgeOpsException e) { throw new ValidationMetadataException(e.Message, e); }
        }
    }
}
