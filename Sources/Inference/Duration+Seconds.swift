/// Durations as plain numbers, for rates, JSON and printed timings: the one conversion the
/// predictor's timings (`PredictionTiming`), the app's latencies and `propagate`'s rates use.
extension Duration {
    /// The duration in seconds, with its sub-second part.
    ///
    /// ```swift
    /// Duration.milliseconds(1500).inSeconds   // 1.5
    /// ```
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }

    /// The duration in milliseconds.
    ///
    /// ```swift
    /// Duration.microseconds(2500).inMilliseconds   // 2.5
    /// ```
    public var inMilliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) * 1e-15 }
}
