namespace Rt.Core.Config;

/// <summary>One broken validation rule: the key path it concerns (e.g. <c>joints[3].gear_ratio</c>) and what was expected.</summary>
public sealed record ConfigProblem(string Key, string Message);
