import XCTest
import MotifAttnCore

/// Slots of a pruned model's heads, against the layer-by-layer order written out by hand.
final class HeadLayoutTests: XCTestCase {
    func testSlotsOfAPrunedLayoutFollowTheLayerByLayerOrderAndKeepHeadNames() {
        let layout = HeadLayout(headsByLayer: [[0, 2, 3], [1], [0, 1, 2, 3]])
        XCTAssertEqual(layout.count, 8)
        XCTAssertEqual(layout.layers, 3)
        XCTAssertEqual(layout.widestLayer, 4)
        XCTAssertFalse(layout.isUniform)
        let order = [(0, 0), (0, 2), (0, 3), (1, 1), (2, 0), (2, 1), (2, 2), (2, 3)]
        XCTAssertEqual(layout.allHeads.map { "\($0.layer).\($0.head)" }, order.map { "\($0.0).\($0.1)" })
        for (slot, (layer, head)) in order.enumerated() { XCTAssertEqual(layout.slot(layer: layer, head: head), slot) }
        XCTAssertEqual(layout.position(layer: 0, head: 3), 2)
        XCTAssertEqual(layout.slot(layer: 2, position: 1), 5)
        for (layer, head) in [(0, 1), (1, 0), (1, 2), (3, 0), (0, 4), (-1, 0), (0, -1)] {
            XCTAssertNil(layout.slot(layer: layer, head: head), "L\(layer)H\(head)")
        }
    }

    func testAnUnprunedLayoutIsLayerTimesHeadsPlusHead() {
        let layout = HeadLayout(layers: 3, headsPerLayer: 4)
        XCTAssertTrue(layout.isUniform)
        for layer in 0..<3 { for head in 0..<4 { XCTAssertEqual(layout.slot(layer: layer, head: head), layer * 4 + head) } }
        XCTAssertEqual(HeadLayout(layers: 0, headsPerLayer: 4).count, 0)
    }
}
