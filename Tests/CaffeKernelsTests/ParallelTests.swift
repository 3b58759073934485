// ParallelTests: the parallel loop visits every index once and partitions evenly.
import CaffeKernels
import Testing

@Suite struct ParallelTests {
  @Test(arguments: [0, 1, 2, 5, 1000])
  func forEachVisitsEveryIndexOnce(count: Int) {
    withArena { arena in
      let hits = arena.floats(count: count, value: 0)
      Parallel.forEach(count: count) { hits[$0] += 1 }
      #expect(array(hits, count).allSatisfy { $0 == 1 })
    }
  }

  @Test func forEachRangeCoversTheItemsWithDisjointRanges() {
    withArena { arena in
      let hits = arena.floats(count: 10_000, value: 0)
      Parallel.forEachRange(count: 10_000, minimumPerRange: 100) { range in
        for i in range { hits[i] += 1 }
      }
      #expect(array(hits, 10_000).allSatisfy { $0 == 1 })
    }
  }

  @Test func partitionIsContiguousAndBalanced() {
    let ranges = (0..<3).map { Parallel.partition(count: 10, parts: 3, part: $0) }
    #expect(ranges == [0..<4, 4..<7, 7..<10])
  }
}
