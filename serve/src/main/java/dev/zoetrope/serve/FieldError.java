package dev.zoetrope.serve;

/** One problem with one field of a request, as returned in a 400 body. */
public record FieldError(String field, String message) {}
