// The serializer maps of labgob's archives: Boost.Serialization keeps one per
// archive type, and a custom archive has to instantiate its own.
#include "labgob/archive.hpp"

#include <boost/archive/detail/archive_serializer_map.hpp>
#include <boost/archive/impl/archive_serializer_map.ipp>

template class boost::archive::detail::archive_serializer_map<labgob::OArchive>;
template class boost::archive::detail::archive_serializer_map<labgob::IArchive>;
