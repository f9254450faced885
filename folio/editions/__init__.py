"""One module per edition, each with a `build(book, out, ...)` that returns the file it wrote."""
