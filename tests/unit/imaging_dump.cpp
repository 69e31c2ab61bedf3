// imaging_dump FILE.dcm OUT_DIR: writes each stored frame of FILE as OUT_DIR/frame_<n>.j2c and
// prints one line per frame, "<n> <width> <height> <checksum> <stored transfer syntax>", for
// imaging_crosscheck.py to compare with what pydicom and ojph_expand make of the same file; and
// the file's image-set metadata document as OUT_DIR/metadata.json.
// Exit status 0 on success, 1 on a refused file (its message on stderr), 2 on bad usage.
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "imaging/dicom_import.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: imaging_dump FILE.dcm OUT_DIR\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::cerr << "imaging_dump: cannot read " << argv[1] << "\n";
        return 2;
    }
    const std::vector<std::uint8_t> content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto result = hil::imaging::read_instance(content);
    if (const auto* refusal = std::get_if<hil::imaging::import_refusal>(&result)) {
        std::cerr << refusal->exception_type << ": " << refusal->message << "\n";
        return 1;
    }
    const auto& instance = std::get<hil::imaging::dicom_instance>(result);
    const std::filesystem::path out_dir = argv[2];
    std::filesystem::create_directories(out_dir);
    {
        const std::array<const hil::imaging::dicom_instance*, 1> one{&instance};
        std::ofstream(out_dir / "metadata.json") << hil::imaging::image_set_metadata("dump", "dump", one);
    }
    for (std::size_t i = 0; i < instance.frames.size(); ++i) {
        const auto& frame = instance.frames[i];
        std::ofstream out(out_dir / ("frame_" + std::to_string(i) + ".j2c"), std::ios::binary);
        out.write(reinterpret_cast<const char*>(frame.codestream.data()), static_cast<std::streamsize>(frame.codestream.size()));
        std::cout << i << ' ' << frame.width << ' ' << frame.height << ' ' << frame.checksum << ' '
                  << instance.stored_transfer_syntax_uid << '\n';
    }
    return 0;
}
