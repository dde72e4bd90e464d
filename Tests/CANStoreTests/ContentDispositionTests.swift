@testable import CANStore
import XCTest

/// The part names and file names a multipart ingest reads from `Content-Disposition` headers.
final class ContentDispositionTests: XCTestCase {
    private func parsed(_ header: String) -> [String?] {
        let disposition = ContentDisposition(header)
        return [disposition.name, disposition.filename]
    }

    func testNameAndFilenameQuotedOrNotWithEscapesAndUnicode() {
        XCTAssertEqual(parsed(#"form-data; name="file"; filename="photo.jpg""#), ["file", "photo.jpg"])
        XCTAssertEqual(parsed("form-data;name=tags"), ["tags", nil])
        XCTAssertEqual(parsed(#"form-data; NAME = "file" ; FileName="a;b \"c\" \\ 日本 🎉.txt""#),
                       ["file", #"a;b "c" \ 日本 🎉.txt"#])
        XCTAssertEqual(parsed(#"form-data; name=""; filename="""#), ["", ""])
        XCTAssertEqual(parsed("form-data; size=3; junk"), [nil, nil])
        XCTAssertEqual(parsed(""), [nil, nil])
    }
}
