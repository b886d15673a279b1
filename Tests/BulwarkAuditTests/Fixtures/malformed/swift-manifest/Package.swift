import Foundation
print("not a manifest")
