// Clang thread-safety annotations (-Wthread-safety). They expand to nothing on
// other compilers. Use them on every field a lab::Mutex guards:
//
//   lab::Mutex mu_;
//   int currentTerm_ LAB_GUARDED_BY(mu_);
//   void becomeFollower(int term) LAB_REQUIRES(mu_);
#pragma once

#if defined(__clang__)
#define LAB_TSA(x) __attribute__((x))
#else
#define LAB_TSA(x)
#endif

#define LAB_CAPABILITY(x) LAB_TSA(capability(x))
#define LAB_SCOPED_CAPABILITY LAB_TSA(scoped_lockable)
#define LAB_GUARDED_BY(x) LAB_TSA(guarded_by(x))
#define LAB_PT_GUARDED_BY(x) LAB_TSA(pt_guarded_by(x))
#define LAB_REQUIRES(...) LAB_TSA(requires_capability(__VA_ARGS__))
#define LAB_EXCLUDES(...) LAB_TSA(locks_excluded(__VA_ARGS__))
#define LAB_ACQUIRE(...) LAB_TSA(acquire_capability(__VA_ARGS__))
#define LAB_RELEASE(...) LAB_TSA(release_capability(__VA_ARGS__))
#define LAB_TRY_ACQUIRE(...) LAB_TSA(try_acquire_capability(__VA_ARGS__))
#define LAB_RETURN_CAPABILITY(x) LAB_TSA(lock_returned(x))
#define LAB_NO_TSA LAB_TSA(no_thread_safety_analysis)
