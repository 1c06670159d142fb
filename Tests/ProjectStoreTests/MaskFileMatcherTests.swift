import ProjectStore
import Testing

/// `MaskFileMatcher`: the one rule that names the image a mask file made elsewhere is for, used by
/// `import-masks` and (through `POST .../masks/match`) by the project page's import.
@Suite struct MaskFileMatcherTests {
    @Test func namesMatchExactlyWithASuffixOrIgnoringCaseAndPunctuation() {
        let matcher = MaskFileMatcher(imageIDs: ["000_HC", "067_HC", "Scan 1", "a.b"])
        #expect(matcher.image(for: "000_HC_Annotation.png") == "000_HC")
        #expect(matcher.image(for: "067_HC.png") == "067_HC")
        #expect(matcher.image(for: "067_hc-mask.png") == "067_HC")
        #expect(matcher.image(for: "067_HC_MASKS.tif") == "067_HC")
        #expect(matcher.image(for: "scan_1_seg.png") == "Scan 1")
        #expect(matcher.image(for: "dir/a.b_gt.png") == "a.b")
        #expect(matcher.image(for: "000_HC_other.png") == nil)
        #expect(matcher.image(for: "_mask.png") == nil)
        #expect(matcher.image(for: "") == nil)
    }

    /// The cases the page's own copy of the rule was tested with (Tests/BrowserTests/unit) before
    /// the page asked the server.
    @Test func thePagesCasesStillMatch() {
        let matcher = MaskFileMatcher(imageIDs: ["000_HC", "scan_1", "Liver.CT"])
        let cases: [(String, String?)] = [("000_HC.png", "000_HC"), ("000_HC_Annotation.png", "000_HC"),
                                          ("scan 1_mask.tif", "scan_1"), ("folder/liver.ct-seg.png", "Liver.CT"),
                                          ("other.png", nil)]
        for (name, image) in cases { #expect(matcher.image(for: name) == image, "\(name)") }
    }

    @Test func anExactNameWinsOverOneThatDiffersInCaseAndTheFirstSuchImageOtherwise() {
        let matcher = MaskFileMatcher(imageIDs: ["Scan", "scan", "b_C", "B-c"])
        #expect(matcher.image(for: "scan.png") == "scan" && matcher.image(for: "Scan_mask.png") == "Scan")
        #expect(matcher.image(for: "SCAN.png") == "Scan", "ignoring case, the first image in the given order")
        #expect(matcher.image(for: "b c.png") == "b_C" && matcher.image(for: "b-C_seg.png") == "B-c")
    }
}
