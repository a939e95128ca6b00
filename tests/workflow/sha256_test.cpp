#include "workflow/sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace s2s::workflow {
namespace {

// The test vectors of FIPS 180-2 (and the empty text).
TEST(Sha256Test, HashesAsTheStandardsVectorsSay) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// Every request hashes its token on its own thread, with the one algorithm
// fetched for all of them.
TEST(Sha256Test, ThreadsHashingAtOnceAgree) {
  std::vector<std::string> seen(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&seen, t] {
      std::string last;
      for (int i = 0; i < 2000; ++i) last = sha256_hex("abc");
      seen[t] = last;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& hash : seen) EXPECT_EQ(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, TokensAreFreshAndComparedWhole) {
  const std::string a = random_token("s2s_");
  const std::string b = random_token("s2s_");
  EXPECT_EQ(a.size(), 4U + 64U);
  EXPECT_EQ(a.rfind("s2s_", 0), 0U);
  EXPECT_NE(a, b);
  EXPECT_TRUE(equal_in_constant_time(a, a));
  EXPECT_FALSE(equal_in_constant_time(a, b));
  EXPECT_FALSE(equal_in_constant_time(a, a.substr(0, a.size() - 1)));
}

}  // namespace
}  // namespace s2s::workflow
