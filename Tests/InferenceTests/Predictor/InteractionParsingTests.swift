import Testing

@testable import Inference

@Suite("Interaction parsing")
struct InteractionParsingTests {
    @Test func pointsBoxesAndScribblesAreRead() throws {
        #expect(try ImagePoint(parsing: "120,80.5") == ImagePoint(x: 120, y: 80.5))
        #expect(try ImagePoint(parsing: " 3 , 4 ") == ImagePoint(x: 3, y: 4))
        #expect(try ImageBox(parsing: "10,20,110,90") == ImageBox(x0: 10, y0: 20, x1: 110, y1: 90))
        let scribble = try Scribble(parsing: "10,10;40,12;80,30;", width: 3)
        #expect(scribble.points == [ImagePoint(x: 10, y: 10), ImagePoint(x: 40, y: 12), ImagePoint(x: 80, y: 30)])
        #expect(scribble.width == 3)
    }

    @Test func malformedTextIsATypedError() {
        for text in ["1", "1,2,3", "a,b", "1,,2", "", "nan,1", "inf,2"] {
            #expect(throws: InteractionParseError.self) { try ImagePoint(parsing: text) }
        }
        #expect(throws: InteractionParseError.self) { try ImageBox(parsing: "1,2,3") }
        #expect(throws: InteractionParseError.self) { try Scribble(parsing: ";;") }
        #expect(throws: InteractionParseError.self) { try Scribble(parsing: "1,2;3") }
        let error = #expect(throws: InteractionParseError.self) { try ImageBox(parsing: "oops") }
        #expect(error?.description.contains("'oops'") == true)
        #expect(error?.description.contains("x0,y0,x1,y1") == true)
    }
}
