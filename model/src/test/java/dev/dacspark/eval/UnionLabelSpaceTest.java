package dev.dacspark.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** X-TAIL's union of class names: one class per distinct name, in the order names first appear in the stream. */
class UnionLabelSpaceTest {
    @Test
    void aNameSharedByTwoTasksIsOneClassOfTheUnion() {
        UnionLabelSpace union = UnionLabelSpace.of(List.of(List.of("blue", "green", "red"), List.of("red", "square"),
                List.of("blue", "vertical stripes")));
        assertEquals(List.of("blue", "green", "red", "square", "vertical stripes"), union.classNames());
        assertArrayEquals(new int[] {0, 1, 2}, union.columns(0));
        assertArrayEquals(new int[] {2, 3}, union.columns(1));
        assertArrayEquals(new int[] {0, 4}, union.columns(2));
    }

    @Test
    void namesAreComparedExactly() {
        UnionLabelSpace union = UnionLabelSpace.of(List.of(List.of("Apple"), List.of("apple", "Apple")));
        assertEquals(List.of("Apple", "apple"), union.classNames());
        assertArrayEquals(new int[] {1, 0}, union.columns(1));
    }
}
