// multipart/form-data as browsers send it, and the malformed bodies that
// must be refused rather than half read.
#include "web/multipart.h"

#include <gtest/gtest.h>

namespace s2s::web {
namespace {

const std::string kBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string part(const std::string& headers, const std::string& data) {
  return "--" + kBoundary + "\r\n" + headers + "\r\n\r\n" + data + "\r\n";
}

TEST(MultipartTest, TheBoundaryComesFromAMultipartFormDataTypeOnly) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + kBoundary), kBoundary);
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b;c\""), "a b;c");
  EXPECT_FALSE(multipart_boundary("multipart/mixed; boundary=x"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"unclosed"));
}

TEST(MultipartTest, FieldsAndAFileAreReadWithTheirNamesAndBytes) {
  const std::string csv = "URN,Name\r\n1,A\r\n--not the boundary\r\n";
  const std::string body = part("Content-Disposition: form-data; name=\"csrf_token\"", "abc") +
                           part("Content-Disposition: form-data; name=\"extract\"; filename=\"gias \\\"2026\\\".csv\"\r\n"
                                "Content-Type: text/csv",
                                csv) +
                           "--" + kBoundary + "--\r\n";
  const auto parts = parse_multipart(body, kBoundary);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "csrf_token");
  EXPECT_FALSE((*parts)[0].filename);
  EXPECT_EQ((*parts)[0].data, "abc");
  EXPECT_EQ((*parts)[1].name, "extract");
  EXPECT_EQ((*parts)[1].filename, "gias \"2026\".csv");
  EXPECT_EQ((*parts)[1].content_type, "text/csv");
  EXPECT_EQ((*parts)[1].data, csv);  // line ends and look-alike lines kept byte for byte
}

TEST(MultipartTest, AnEmptyFileChoiceIsAFileWithNoName) {
  const std::string body = part("Content-Disposition: form-data; name=\"extract\"; filename=\"\"\r\n"
                                "Content-Type: application/octet-stream",
                                "") +
                           "--" + kBoundary + "--";
  const auto parts = parse_multipart(body, kBoundary);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_TRUE((*parts)[0].data.empty());
}

TEST(MultipartTest, MalformedBodiesAreRefusedWhole) {
  const std::string good = part("Content-Disposition: form-data; name=\"a\"", "1");
  // Cut off before the closing delimiter: an upload that did not arrive whole.
  EXPECT_FALSE(parse_multipart(good, kBoundary));
  EXPECT_FALSE(parse_multipart(good.substr(0, good.size() - 6), kBoundary));
  // No boundary at all, or another one.
  EXPECT_FALSE(parse_multipart("a=1&b=2", kBoundary));
  EXPECT_FALSE(parse_multipart(good + "--" + kBoundary + "--", "other"));
  // A part that is not form-data, or has no name.
  EXPECT_FALSE(parse_multipart(part("Content-Disposition: attachment; name=\"a\"", "1") + "--" + kBoundary + "--",
                               kBoundary));
  EXPECT_FALSE(parse_multipart(part("Content-Disposition: form-data", "1") + "--" + kBoundary + "--", kBoundary));
  // Headers without their blank line.
  EXPECT_FALSE(parse_multipart("--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n1\r\n--" +
                                   kBoundary + "--",
                               kBoundary));
  // More parts than allowed.
  std::string many;
  for (int i = 0; i < 4; ++i) many += good;
  EXPECT_TRUE(parse_multipart(many + "--" + kBoundary + "--", kBoundary, 4));
  EXPECT_FALSE(parse_multipart(many + good + "--" + kBoundary + "--", kBoundary, 4));
}

}  // namespace
}  // namespace s2s::web
