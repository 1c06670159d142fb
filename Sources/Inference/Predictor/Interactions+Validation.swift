extension ImagePoint {
    /// True when the point lies inside one of the pixels of a `width` x `height` image
    /// (-0.5 <= x < width - 0.5, likewise y).
    public func isOnImage(width: Int, height: Int) -> Bool {
        x >= -0.5 && x < Double(width) - 0.5 && y >= -0.5 && y < Double(height) - 0.5
    }
}

extension Interactions {
    /// Throws the first problem that would stop these interactions from being encoded on a
    /// `width` x `height` image: a point off the image (`PredictorError.coordinateOutOfRange`),
    /// an empty scribble or one with a bad width (`PredictorError.invalidScribble`). Checked in
    /// the order `encodeInteractions` encodes, so both report the same problem; the server calls
    /// it to refuse a request before it is queued.
    ///
    /// ```swift
    /// let clicks = Interactions(positiveClicks: [ImagePoint(x: 300, y: 10)])
    /// try clicks.validate(imageWidth: 256, height: 256)   // throws: positive click 1 ... is outside
    /// ```
    public func validate(imageWidth width: Int, height: Int) throws {
        func check(_ point: ImagePoint, _ what: String) throws {
            guard point.isOnImage(width: width, height: height) else {
                throw PredictorError.coordinateOutOfRange(interaction: what, x: point.x, y: point.y, width: width, height: height)
            }
        }
        func check(_ scribble: Scribble, _ name: String) throws {
            guard !scribble.points.isEmpty else { throw PredictorError.invalidScribble(reason: "\(name) has no points") }
            if let width = scribble.width, !(width.isFinite && width > 0) {
                throw PredictorError.invalidScribble(reason: "\(name) has width \(width); use a positive width or none")
            }
            for point in scribble.points { try check(point, name) }
        }
        for (n, click) in positiveClicks.enumerated() { try check(click, "positive click \(n + 1)") }
        for (n, click) in negativeClicks.enumerated() { try check(click, "negative click \(n + 1)") }
        for (n, scribble) in positiveScribbles.enumerated() { try check(scribble, "positive scribble \(n + 1)") }
        for (n, scribble) in negativeScribbles.enumerated() { try check(scribble, "negative scribble \(n + 1)") }
        for (n, box) in boxes.enumerated() {
            try check(box.corner0, "box \(n + 1) corner")
            try check(box.corner1, "box \(n + 1) corner")
        }
    }
}
